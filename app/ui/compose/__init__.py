"""Writing with the model: the compose feature, its form, the reasoning panel that
streams ``<think>``, and the view of the generated poems.
"""
