"""The gRPC surface: servicers, request validation, rich errors, offset encodings."""
