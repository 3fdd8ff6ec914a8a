using StreamIngestManager;
using Catalog;
using IngestionLog;

var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.AddPlatformEnvironment();
builder.Logging.AddPlatformLogging(builder.Configuration);
builder.Services.AddCatalog(builder.Configuration);
builder.Services.AddStreamIngestManager(builder.Configuration);
builder.Build().Run();
