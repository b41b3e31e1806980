"""Rule-set versions: build beside the serving one, swap when ready, keep the old on failure."""
