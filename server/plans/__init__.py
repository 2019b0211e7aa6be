"""Annual plans (年度抽查工作计划, Art. 11–13)."""
