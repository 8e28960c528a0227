"""drillbook.oncall"""
