// expect 2 at line 3: size '1T'
def img = debian('bookworm') {
    size '1T'
}
scenario('an image of a terabyte') {
    machine('box') { image img }
}
