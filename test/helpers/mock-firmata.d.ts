declare module 'mock-firmata'
