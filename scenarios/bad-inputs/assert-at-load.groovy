// expect 2 at line 3: assert answer == 2
def answer = 1
assert answer == 2
scenario('never reached') {
    machine('box')
}
