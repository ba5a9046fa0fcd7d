// expect 2 at line 3: packages: 'nginx; rm -rf /' is not a Debian package name
def img = debian('bookworm') {
    packages 'nginx; rm -rf /'
}
scenario('a package name that is a command') {
    machine('box') { image img }
}
