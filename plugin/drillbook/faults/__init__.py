"""drillbook.faults"""
