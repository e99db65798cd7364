"""The Almaty simulator: plays Jet, Yandex Go and Whoosh, serving GBFS 2.3/3.0 and MDS over HTTP.

It also pushes MDS to Tartip's Agency API and receives Tartip's damage webhooks, as the companies
would. It stands in for other companies' servers, so it imports only ``tartip.core`` from Tartip.
"""
