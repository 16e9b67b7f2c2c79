"""The service layer: one module per question, each returning a :class:`~critmat.services.base.Result`."""
