"""The shared vocabulary: site, templates, points, readings, quality, errors. Imports nothing of ours."""
