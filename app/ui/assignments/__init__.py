"""Assignments in the window: the 作业 menu feature (:mod:`.feature`), the step-by-step
assignment wizard (:mod:`.wizard`), writing against an assignment in the editor
(:mod:`.writing`: :func:`~.writing.write_against`, :class:`~.writing.RequirementsPanel`)
and the grading dialog (:mod:`.grading_dialog`).

Nothing is imported here: the window builds the feature at start-up, and the wizard,
the writing session and the grading dialog (with the PDF code it needs) are imported
the first time they are used.
"""
