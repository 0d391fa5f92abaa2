"""Generated gRPC stubs of the AIFlow service (see tools/gen_proto.py)."""
