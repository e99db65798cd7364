"""The Almaty simulator: plays Jet, Yandex Go and Whoosh, serving GBFS 2.3/3.0 over HTTP.

It stands in for other companies' servers, so it imports only ``tartip.core`` from Tartip.
"""
