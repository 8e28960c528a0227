"""drillbook.detect"""
