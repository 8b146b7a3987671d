"""Layer 6: the engine runs flows with the run loop's promises (DESIGN "The run loop")."""
