/// A small built-in text so the demo needs no download: a character model learns its spelling and rhythm
/// within a few hundred steps.
let demoCorpus = """
The river keeps no record of the rain, yet every stone remembers where the water went.
A gate is a question the cell asks at every step: what to keep, what to let in, what to show.
The forget gate holds the past open, the input gate lets the present write,
and the output gate decides how much of the memory the next layer may read.
Plain recurrent networks multiply the same matrix again and again, so their gradients
shrink to nothing or grow without bound; the cell state of an LSTM is carried by addition,
and what is added survives a hundred steps if the forget gate stays near one.
When gradients grow anyway, clipping their global norm keeps one bad batch from undoing a day of training.
The river keeps no record of the rain, yet the valley knows its shape by heart.
Sing of the long memory, of the small sums carried forward, of the patient cell.

"""
