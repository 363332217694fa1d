"""Literate reproductions of task-transferable NAS: Arch-Graph, KTNAS, a contrastive general-purpose predictor and GenNAS on TransNAS-Bench-101 and NAS-Bench-201"""

__version__ = "0.1.0"
