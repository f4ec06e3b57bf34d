"""The model's vocabulary seen as characters: which tokens spell which Han characters."""
