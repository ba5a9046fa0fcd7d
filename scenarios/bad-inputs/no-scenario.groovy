// expect 2 at line 1: declares no scenario
// a file with only comments in it
def x = 1
