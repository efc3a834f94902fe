"""Modal dialogs: questions and answers over the screen below."""
