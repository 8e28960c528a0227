"""The drill lifecycle: phases, the runner, the clock and the results."""
