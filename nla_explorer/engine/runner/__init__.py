"""Running the user's code: the supervised child process and what runs inside it."""
