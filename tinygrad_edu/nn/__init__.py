"""Neural-network building blocks on the engine (work in progress)."""
