"""Credit assignment (``agentrl.rewards``): reward shapers and advantage estimators over episodes.

See DESIGN.md section 3.5 and REFERENCES.md for the formulas.
"""
