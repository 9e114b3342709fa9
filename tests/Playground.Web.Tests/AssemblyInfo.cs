// The fault tests stop the Docker engine and kill server processes: nothing else may run
// against the engine at the same time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
