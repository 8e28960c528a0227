"""The YAML formats drillbook reads, as typed models with their source positions."""
