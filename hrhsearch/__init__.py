"""hrhsearch"""
