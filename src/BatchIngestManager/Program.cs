using BatchIngestManager;
using Catalog;

var builder = ManagerHost.Create(args, "batch-manager");
builder.Services.AddBatchIngestManager(builder.Configuration);
builder.Build().Run();
