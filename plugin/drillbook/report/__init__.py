"""drillbook.report"""
