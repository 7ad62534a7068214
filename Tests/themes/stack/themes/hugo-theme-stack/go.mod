module github.com/CaiJimmy/hugo-theme-stack/v3

go 1.17
