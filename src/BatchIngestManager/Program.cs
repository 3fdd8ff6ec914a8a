using BatchIngestManager;
using Catalog;
using IngestionLog;

var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.AddPlatformEnvironment();
// Running alone is the cluster mode: the API and the other manager are other processes.
builder.Configuration["Platform:Mode"] ??= "cluster";
builder.Logging.AddPlatformLogging(builder.Configuration, "batch-manager");
builder.Services.AddCatalog(builder.Configuration);
builder.Services.AddBatchIngestManager(builder.Configuration);
builder.Build().Run();
