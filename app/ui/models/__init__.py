"""The model pipeline in the window: the controller, the current-model choice, the model
manager (and the controller's link to it) and its download dialog, the engine status,
the model settings page.
"""
