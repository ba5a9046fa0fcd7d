// expect 2 at line 4: forward: unknown option 'hostPort'
scenario('misspelt forward option') {
    machine('box') {
        forward hostPort: 2222, guest: 22
    }
}
