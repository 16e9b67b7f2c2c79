"""Package builders: what turns publisher files into critmat's data packages and region packs.

``region`` (region packs from registries, boundaries and curated rows), ``geo`` (point-in-polygon, simplified
outlines), ``intensities`` (material intensities derived from ELMA, CAwindMFA, BatPaC, PV_ICE), ``imports``
(``critmat data import``: the EC publisher tables), ``synth`` (synthetic packs for scale tests).
"""
