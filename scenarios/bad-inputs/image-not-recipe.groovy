// expect 2 at line 4: image takes what debian\('…'\) \{ … \} returns, not 'debian\.qcow2'
scenario('an image path instead of a recipe') {
    machine('box') {
        image 'debian.qcow2'
    }
}
