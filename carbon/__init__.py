"""Carbon metrics for the four strategies and the reports built from them: pure functions over frames."""
