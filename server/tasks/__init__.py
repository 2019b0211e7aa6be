"""Spot-check tasks (抽查任务, Art. 14–20): work plan, checklists, commissions, workflow."""
