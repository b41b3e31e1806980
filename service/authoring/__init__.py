"""Rule authoring beside the serving path: the example runner, explain and evaluation against gold."""
