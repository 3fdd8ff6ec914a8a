using Catalog;
using StreamIngestManager;

var builder = ManagerHost.Create(args, "stream-manager");
builder.Services.AddStreamIngestManager(builder.Configuration);
builder.Build().Run();
