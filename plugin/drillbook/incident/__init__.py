"""drillbook.incident"""
