// expect 2 at line 2: debian\('Bookworm!'\): not a Debian suite name
def img = debian('Bookworm!')
scenario('a suite that is not one') {
    machine('box') { image img }
}
