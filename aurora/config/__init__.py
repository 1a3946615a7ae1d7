"""Job configuration: the .aurora DSL (pystachio schema), loading and conversion to thrift."""
