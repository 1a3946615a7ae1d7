"""aurora-devcluster: a local single-machine scheduler speaking the Aurora thrift API."""
