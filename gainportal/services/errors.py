class WorkflowError(Exception):
    """A refused change, with a message written for the person at the screen."""
