"""drillbook.fakes"""
