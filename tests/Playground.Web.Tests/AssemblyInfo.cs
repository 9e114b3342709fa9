// The fault tests stop the Docker engine and kill server processes: nothing else may run
// against the engine at the same time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// The tests drive a Linux Docker engine, Debian's Chromium and Debian's proxies.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
