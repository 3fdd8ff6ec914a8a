using Platform.Api;

PlatformApp.Create(args).Run();
