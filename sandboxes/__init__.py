"""Sandboxes for code-executing environments (``agentrl.sandboxes``): see DESIGN.md section 3.2."""
