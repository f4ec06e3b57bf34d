"""Building a model on this computer, in the window: the offer in the model manager
(:mod:`.offer`) and the build window with its plan and stages (:mod:`.dialog`)."""
