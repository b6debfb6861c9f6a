"""Small real functions, standard library only, each giving a different answer to "will
threads help?". Run one from the project's folder, e.g.

    gilviz run --task examples.zlib_compress:compress --inputs examples.zlib_compress:inputs

Each module has the task, `inputs` (what one comparison runs it on) and `make_input(size)`
(what the tests run it on, small)."""
