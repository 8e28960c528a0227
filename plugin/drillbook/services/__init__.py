"""drillbook.services"""
